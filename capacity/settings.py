"""``[capacity]``: what one instance serves, how many run, how fast they start and what they cost.

The plan sizes the fleet from these; values not set are estimated from the ``origin``
measurement (Prometheus) where it exists, and the plan says which were.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator, model_validator

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # Kubernetes namespace / object names (RFC 1123)


class CapacitySettings(BaseModel):
    rps_per_instance: float | None = Field(
        None, gt=0, le=10_000_000,
        description="Requests/s one instance serves at its limit; unset: estimated from origin metrics.")
    instances: int | None = Field(
        None, ge=1, le=100_000,
        description="Instances running outside campaigns; unset: the latest origin 'instances' value.")
    min_instances: int = Field(1, ge=1, le=100_000, description="Never plan fewer instances than this.")
    max_instances: int | None = Field(None, ge=1, le=100_000,
                                      description="Never plan more instances than this (unset: 20 × today's).")
    headroom: float = Field(0.25, ge=0, le=3,
                            description="Spare capacity kept over the forecast's upper band (0.25: size for 125 %).")
    warmup_minutes: float = Field(10, ge=0, le=240,
                                  description="Minutes from asking for an instance to it serving traffic.")
    cooldown_minutes: float = Field(30, ge=0, le=1440,
                                    description="Minutes to keep extra instances after demand falls back.")
    instance_cost_per_hour: float | None = Field(None, ge=0, le=100_000,
                                                 description="Cost of one instance for one hour.")
    cdn_cost_per_gb: float | None = Field(None, ge=0, le=100_000,
                                          description="Cost of one GB (10^9 bytes) delivered by the CDN, for a "
                                                      "campaign's results.")
    currency: str = Field("EUR", description="ISO 4217 code of instance_cost_per_hour and cdn_cost_per_gb.")
    remind_before_minutes: float = Field(
        180, ge=0, le=10_080,
        description="Tell on-call this long before an announced campaign starts, with its scaling plan (0: never).")

    namespace: str = Field("default", description="Kubernetes namespace of the exported ScaledObject / CronJobs.")
    deployment: str | None = Field(None, description="Kubernetes Deployment the plan scales (KEDA and HPA exports).")
    hpa: str | None = Field(None, description="HorizontalPodAutoscaler whose minReplicas the CronJobs patch "
                                              "(unset: the deployment's name).")
    autoscaling_group: str | None = Field(None, min_length=1, max_length=255,
                                          description="AWS Auto Scaling group of the aws-cli and terraform exports.")
    kubectl_image: str = Field("bitnami/kubectl:1.31", description="Image the HPA CronJobs run kubectl in.")

    @field_validator("namespace", "deployment", "hpa")
    @classmethod
    def _k8s_name(cls, v: str | None) -> str | None:
        if v is not None and not DNS_LABEL.match(v):
            raise ValueError(f"{v!r} is not a Kubernetes name: lower-case letters, digits and '-', at most 63, "
                             "starting and ending with a letter or digit")
        return v

    @field_validator("autoscaling_group")
    @classmethod
    def _asg(cls, v: str | None) -> str | None:
        if v is not None and any(ord(ch) < 32 for ch in v):
            raise ValueError("an Auto Scaling group name has no control characters")
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if len(v) != 3 or not v.isalpha():
            raise ValueError(f"{v!r} is not an ISO 4217 currency code (three letters, e.g. EUR, USD)")
        return v.upper()

    @model_validator(mode="after")
    def _bounds(self) -> CapacitySettings:
        if self.max_instances is not None and self.max_instances < self.min_instances:
            raise ValueError(f"max_instances {self.max_instances} is below min_instances {self.min_instances}; "
                             "raise max_instances or lower min_instances")
        return self
