"""Problems with a mapping file (a configuration error, not a refused input file)."""

from pipelines.config import ConfigError


class MappingError(ConfigError):
    pass
