"""Stand-in (see ../README.md): transformers.TrainerCallback, whose hooks all default to no-ops."""


class TrainerCallback(object):
    def on_train_begin(self, args, state, control, **kwargs):
        pass

    def on_log(self, args, state, control, logs=None, **kwargs):
        pass

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        pass

    def on_train_end(self, args, state, control, **kwargs):
        pass
