"""The SQL files: the parser of one file and the catalogue of every file, by name."""
