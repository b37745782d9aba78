"""Stand-in: lightning.pytorch.loggers.Logger (abstract: name, version, log_metrics, log_hyperparams)."""


class Logger(object):
    def finalize(self, status):
        pass

    def save(self):
        pass
