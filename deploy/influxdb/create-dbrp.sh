#!/bin/bash
# Runs once after InfluxDB 2.x set-up: maps the v1 database "surgewatch" (retention policy
# autogen) to the bucket, so Surgewatch's v1 /write and /query reach it with the token.
set -euo pipefail
influx v1 dbrp create --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" --db surgewatch --rp autogen --default \
  --org "${DOCKER_INFLUXDB_INIT_ORG}"
