"""One self-contained HTML report of the marts: ``python -m report [--db PATH] [--out FILE] [--days N]``."""

DEFAULT_OUT = "reports/index.html"
