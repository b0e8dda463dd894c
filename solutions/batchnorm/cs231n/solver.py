"""Training loop for classification models: minibatch updates, accuracy tracking, checkpoints."""

import pickle

import numpy as np

from . import optim

__all__ = ["Solver"]


class Solver:
    """Trains a classification model with one of the update rules in `cs231n.optim`.

    The model must provide:
    - model.params: A dictionary mapping parameter names to numpy arrays.
    - model.loss(X, y=None): with y, return (loss, grads), grads having the same keys as
      model.params; without y, run in test mode and return class scores of shape (N, C).

    data is a dictionary with the keys:
    - 'X_train': Array, shape (N_train, d_1, ..., d_k) of training images
    - 'y_train': Array, shape (N_train,) of labels for training images
    - 'X_val': Array, shape (N_val, d_1, ..., d_k) of validation images
    - 'y_val': Array, shape (N_val,) of labels for validation images

    Optional keyword arguments:
    - update_rule: Name of an update rule in cs231n.optim, default 'sgd'.
    - optim_config: Hyperparameters passed to the update rule, default {}; every parameter
      of the model gets its own copy (and so its own optimizer state).
    - lr_decay: The learning rate is multiplied by this factor after each epoch, default 1.0.
    - batch_size: Size of the minibatches, default 100.
    - num_epochs: Number of epochs to train, default 10.
    - num_train_samples: Number of training samples used to check training accuracy,
      default 1000; None uses the whole training set.
    - num_val_samples: Number of validation samples used to check validation accuracy,
      default None (the whole validation set).
    - checkpoint_name: If not None, the solver state is pickled to
      '<checkpoint_name>_epoch_<epoch>.pkl' after every accuracy check.
    - print_every: The training loss is printed every print_every iterations, default 10.
    - verbose: Whether to print progress, default True.
    Any other keyword argument raises ValueError.

    After train() returns, model.params holds the parameters that reached the best validation
    accuracy, and the solver has:
    - loss_history: the training loss of every iteration;
    - train_acc_history, val_acc_history: accuracies after the first iteration and at the
      end of every epoch (num_epochs + 1 entries each).

    Example:
        solver = Solver(model, data, update_rule='adam',
                        optim_config={'learning_rate': 1e-3}, num_epochs=5)
        solver.train()
    """

    def __init__(self, model, data, **kwargs):
        """Store the model, data and options and reset the bookkeeping; see the class docstring."""
        self.model = model
        self.X_train = data["X_train"]
        self.y_train = data["y_train"]
        self.X_val = data["X_val"]
        self.y_val = data["y_val"]

        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.num_train_samples = kwargs.pop("num_train_samples", 1000)
        self.num_val_samples = kwargs.pop("num_val_samples", None)
        self.checkpoint_name = kwargs.pop("checkpoint_name", None)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)

        if kwargs:
            unknown = ", ".join(repr(name) for name in kwargs)
            raise ValueError(f"Unrecognized arguments {unknown}")

        if self.update_rule not in optim.__all__:
            raise ValueError(
                f"Invalid update_rule {self.update_rule!r}; choose one of {optim.__all__}"
            )
        self.update_rule = getattr(optim, self.update_rule)

        self._reset()

    def _reset(self):
        """Clear the training history and give every parameter a fresh optimizer config."""
        self.epoch = 0
        # -inf so the first accuracy check always records best_params, even at 0 accuracy.
        self.best_val_acc = -np.inf
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _step(self):
        """One gradient update on a minibatch sampled (with replacement) from the training set."""
        num_train = self.X_train.shape[0]
        batch_mask = np.random.choice(num_train, self.batch_size)
        X_batch = self.X_train[batch_mask]
        y_batch = self.y_train[batch_mask]

        loss, grads = self.model.loss(X_batch, y_batch)
        self.loss_history.append(loss)

        for name, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = next_config

    def _save_checkpoint(self):
        """Pickle the solver state to '<checkpoint_name>_epoch_<epoch>.pkl', if a name is set."""
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "model": self.model,
            "update_rule": self.update_rule,
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        filename = f"{self.checkpoint_name}_epoch_{self.epoch}.pkl"
        if self.verbose:
            print(f'Saving checkpoint to "{filename}"')
        with open(filename, "wb") as f:
            pickle.dump(checkpoint, f)

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Accuracy of the model on the provided data.

        Inputs:
        - X: Array of data, of shape (N, d_1, ..., d_k)
        - y: Array of labels, of shape (N,)
        - num_samples: If not None and smaller than N, evaluate on this many examples drawn
          at random (with replacement) from the data.
        - batch_size: Predict in batches of this size to bound memory use.

        Returns:
        - acc: Scalar giving the fraction of examples correctly classified by the model.
        """
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = np.random.choice(N, num_samples)
            X, y = X[mask], y[mask]
            N = num_samples

        predictions = []
        for start in range(0, N, batch_size):
            scores = self.model.loss(X[start : start + batch_size])
            predictions.append(np.argmax(scores, axis=1))
        y_pred = np.concatenate(predictions)
        return np.mean(y_pred == y)

    def train(self):
        """Run the optimization, then swap the best parameters found into the model."""
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        for t in range(num_iterations):
            self._step()

            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")

            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for config in self.optim_configs.values():
                    config["learning_rate"] *= self.lr_decay

            # The last iteration always ends an epoch, so this records num_epochs + 1 entries.
            if t == 0 or epoch_end:
                train_acc = self.check_accuracy(
                    self.X_train, self.y_train, num_samples=self.num_train_samples
                )
                val_acc = self.check_accuracy(
                    self.X_val, self.y_val, num_samples=self.num_val_samples
                )
                self.train_acc_history.append(train_acc)
                self.val_acc_history.append(val_acc)
                self._save_checkpoint()

                if self.verbose:
                    print(
                        f"(Epoch {self.epoch} / {self.num_epochs}) "
                        f"train acc: {train_acc:f}; val_acc: {val_acc:f}"
                    )

                if val_acc > self.best_val_acc:
                    self.best_val_acc = val_acc
                    self.best_params = {name: w.copy() for name, w in self.model.params.items()}

        self.model.params = self.best_params
