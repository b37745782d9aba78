"""Framework hooks. Each lives in its own module and imports its framework only when used, so
``import trainwatch`` needs none of them:

* ``trainwatch.integrations.lightning.TrainwatchLogger``: a PyTorch Lightning ``Logger``
* ``trainwatch.integrations.huggingface.TrainwatchCallback``: a ``transformers.TrainerCallback``
* ``trainwatch.integrations.keras.TrainwatchCallback``: a ``keras.callbacks.Callback``
"""
