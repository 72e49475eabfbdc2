"""Small models built with standalone Keras 2.3.1 (Theano back end): each saved with
model.save() and its model.summary() printed -- the Keras 2 fixtures of
fixtures/summaries/.  Run by scripts/make_summaries.py under Python 3.6:

    /root/.pyenv/versions/3.6.15/bin/python -m venv /tmp/k2venv
    /tmp/k2venv/bin/pip install keras==2.3.1 theano==1.0.5 numpy==1.19.5 scipy==1.5.4 \
        h5py==2.10.0 pyyaml
    python3 scripts/make_summaries.py --keras2 /tmp/k2venv/bin/python

Usage (direct): python3.6 keras2.py OUT_DIR  -- writes OUT_DIR/<name>.h5 and <name>.txt

A model function returns the model, or (printed, saved) for the summaries that differ from
their file for a known reason (fixtures/summaries/explained/).
"""
import io
import os
import sys

import numpy as np

import keras
from keras.layers import (GRU, LSTM, BatchNormalization, Bidirectional, Conv1D, Conv2D,
                          Conv2DTranspose, DepthwiseConv2D, Dense, Dropout, Embedding,
                          Flatten, GlobalAveragePooling2D, Input, MaxPooling2D,
                          SeparableConv2D, SimpleRNN, TimeDistributed, add, concatenate)
from keras.models import Model, Sequential

assert keras.__version__ == "2.3.1", keras.__version__


def sequential():
    np.random.seed(1)
    m = Sequential(name="k2_sequential")
    m.add(Dense(16, input_shape=(8,), name="dense"))
    m.add(BatchNormalization(name="batch_normalization"))
    m.add(Dropout(0.5, name="dropout"))
    m.add(Dense(4, activation="softmax", name="a_rather_long_layer_name_for_the_head"))
    return m


def functional():
    np.random.seed(2)
    a = Input(shape=(6,), name="in_a")
    b = Input(shape=(6,), name="in_b")
    shared = Dense(5, name="shared")
    sa, sb = shared(a), shared(b)
    cat = concatenate([sa, sb], name="cat")
    mix = Dense(5, name="mix")(cat)
    add_ab = add([sa, sb], name="add_ab")
    add_out = add([mix, add_ab], name="add_out")
    head = Dense(2, name="head")(add_out)
    return Model([a, b], head, name="k2_functional")


def conv():
    np.random.seed(3)
    x = Input(shape=(16, 16, 3), name="image")
    h = Conv2D(8, (3, 3), name="conv2d")(x)
    h = DepthwiseConv2D((3, 3), depth_multiplier=2, name="depthwise_conv2d")(h)
    h = SeparableConv2D(4, (3, 3), use_bias=False, name="separable_conv2d")(h)
    h = MaxPooling2D((2, 2), name="max_pooling2d")(h)
    h = Conv2DTranspose(3, (2, 2), strides=(2, 2), name="conv2d_transpose")(h)
    h = GlobalAveragePooling2D(name="global_average_pooling2d")(h)
    s = Input(shape=(12, 4), name="series")
    c = Conv1D(6, 5, name="conv1d")(s)
    c = Flatten(name="flatten")(c)
    out = Dense(2, name="dense")(concatenate([h, c], name="concatenate"))
    return Model([x, s], out, name="k2_conv")


def recurrent():
    np.random.seed(4)
    m = Sequential(name="k2_recurrent")
    m.add(Embedding(50, 8, input_length=10, name="embedding"))
    m.add(LSTM(6, return_sequences=True, name="lstm"))
    m.add(GRU(5, return_sequences=True, name="gru"))
    m.add(GRU(5, return_sequences=True, reset_after=True, name="gru_reset_after"))
    m.add(Bidirectional(SimpleRNN(4, return_sequences=True), name="bi_rnn"))
    m.add(TimeDistributed(Dense(3), name="td_dense"))
    m.add(Flatten(name="flatten"))
    m.add(Dense(1, name="out"))
    return m


def nested():
    np.random.seed(5)
    inner_seq = Sequential(name="inner_seq")
    inner_seq.add(Dense(6, input_shape=(8,), name="inner_dense"))
    inner_seq.add(BatchNormalization(name="inner_bn"))
    z = Input(shape=(6,), name="z")
    inner_fn = Model(z, Dense(3, name="inner_fn_dense")(z), name="inner_fn")
    x = Input(shape=(8,), name="x")
    out = Dense(2, name="head")(inner_fn(inner_seq(x)))
    return Model(x, out, name="k2_nested")


def frozen_nested():
    """Keras 2.3.1 does not save a nested model's `trainable` flag: the summary printed before
    saving counts inner_fn as non-trainable, the saved file cannot say so."""
    model = nested()
    model.get_layer("inner_fn").trainable = False
    return model


def fitted():
    np.random.seed(6)
    m = Sequential(name="k2_fit")
    m.add(Dense(6, input_shape=(5,), name="dense"))
    m.add(BatchNormalization(name="bn"))
    m.add(Dense(3, name="out"))
    m.compile(optimizer="adam", loss="mse")
    m.fit(np.random.rand(16, 5), np.random.rand(16, 3), epochs=1, batch_size=8, verbose=0)
    return m


def frozen():
    np.random.seed(7)
    m = Sequential(name="k2_frozen")
    m.add(Dense(12, input_shape=(10,), name="frozen_dense", trainable=False))
    m.add(Dense(3, name="head"))
    return m


def renamed():
    """One architecture built twice in one session with default names: Keras numbers them on,
    so the summary printed for the first build (dense_1, dense_2) is of the same layers the
    saved second build calls dense_3, dense_4.  Returns (printed, saved)."""

    def build():
        m = Sequential(name="k2_renamed")
        m.add(Dense(5, input_shape=(4,)))
        m.add(Dense(2))
        return m

    np.random.seed(8)
    return build(), build()


def different_input():
    """The summary of a model built for 12 input features, the file of the same model built
    for 10.  Returns (printed, saved)."""

    def build(features):
        m = Sequential(name="k2_different_input")
        m.add(Dense(16, input_shape=(features,), name="dense"))
        m.add(Dense(4, name="head"))
        return m

    np.random.seed(9)
    return build(12), build(10)


def different_input_functional():
    """As different_input, as a functional model: its InputLayer row shows the input shape.
    Returns (printed, saved)."""

    def build(features):
        x = Input(shape=(features,), name="features")
        h = Dense(16, name="dense")(x)
        return Model(x, Dense(4, name="head")(h), name="k2_different_input_functional")

    np.random.seed(10)
    return build(12), build(10)


MODELS = [sequential, functional, conv, recurrent, nested, fitted, frozen, frozen_nested,
          renamed, different_input, different_input_functional]


def summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines) + "\n"


def main(out_dir):
    for build in MODELS:
        name = "k2_" + build.__name__
        built = build()
        printed, saved = built if isinstance(built, tuple) else (built, built)
        saved.save(os.path.join(out_dir, name + ".h5"))
        with io.open(os.path.join(out_dir, name + ".txt"), "w", encoding="utf-8") as f:
            f.write(summary_text(printed))
        print(name)


if __name__ == "__main__":
    main(sys.argv[1])
