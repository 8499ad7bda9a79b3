"""Configuration: YAML files (settings, feed catalogs, accounts, reps) into frozen settings.

Every problem is reported with file, line and key. Unknown keys are errors, so a typo never
silently disables anything. One bad catalog, feed, account or rep is reported and skipped; the
rest still loads. Does not read the environment itself: callers pass ``environ``.

Three rooms: ``settings`` (the models and value parsers), ``yamlfile`` (one YAML file with its
line map, the alias-bomb guard, located validation problems with did-you-mean) and ``load``
(assembling ``Config`` from the files, with every problem and warning). This package re-exports
the names the rest of Clipper imports.
"""

from .load import Config as Config
from .load import expand_template as expand_template
from .load import find_config_path as find_config_path
from .load import load_config as load_config
from .settings import Account as Account
from .settings import Catalog as Catalog
from .settings import Contact as Contact
from .settings import Rep as Rep
from .settings import Settings as Settings
from .settings import SlackSettings as SlackSettings
from .settings import parse_duration as parse_duration
from .yamlfile import read_yaml as read_yaml
