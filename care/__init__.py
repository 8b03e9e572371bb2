"""The carejourney domain: models, pure clinical rules and services. No web, no orchestration."""
