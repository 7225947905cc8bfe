"""Storage: SQLAlchemy 2.0 models, engine/session factories, repositories and the unit of work, migrations, CLI."""
