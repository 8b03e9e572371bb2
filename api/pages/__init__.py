"""Server-rendered pages (Jinja2 on the NHS.UK design system) over the domain services."""
