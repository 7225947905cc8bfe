"""Storage: SQLAlchemy 2.0 models, engine/session factories, repository, migrations, CLI."""
