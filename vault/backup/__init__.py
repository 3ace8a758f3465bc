"""Backup and restore of a whole instance: `vault backup -o FILE` and `vault restore FILE` (docs/backup.md).

`archive` (the file format, its manifest and its signature) and `sealing` (master keys sealed with a
passphrase) are pure; `dump` and `load` read and write the database and the object store; `cli` is thin.
This package file imports nothing, so importing the pure modules pulls in neither Flask nor SQLAlchemy.
"""
