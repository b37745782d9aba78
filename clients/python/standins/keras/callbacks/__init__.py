"""Stand-in: keras.callbacks.Callback; Keras sets .params and .model before on_train_begin."""


class Callback(object):
    def __init__(self):
        self.params = {}
        self.model = None

    def set_params(self, params):
        self.params = params
