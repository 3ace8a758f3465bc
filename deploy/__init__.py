"""Production layout files (systemd units, nginx, gunicorn) and the renderer that fills the nginx template."""
