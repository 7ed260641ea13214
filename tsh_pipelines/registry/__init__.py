"""The entity registry: one declarative row per Zoho entity, by area (`tsh_pipelines.entities`
assembles them)."""
