"""Small models built with standalone Keras 1.2.2 (Theano back end): each saved with
model.save() and its model.summary() printed -- the Keras 1 fixtures of
fixtures/summaries/.  Run by scripts/make_summaries.py under Python 2.7:

    /root/.pyenv/versions/2.7.18/bin/python -m pip install --target /tmp/k1lib \
        keras==1.2.2 theano==1.0.5 numpy==1.16.6 scipy==1.2.3 h5py==2.10.0 pyyaml==5.4.1 six
    python3 scripts/make_summaries.py --keras1 /root/.pyenv/versions/2.7.18/bin/python \
        --keras1-path /tmp/k1lib

Usage (direct): python2.7 keras1.py OUT_DIR  -- writes OUT_DIR/<name>.h5 and <name>.txt
"""
from __future__ import print_function

import io
import os
import sys

import numpy as np

import theano.ifelse  # noqa: F401  (Keras 1.2.2 expects theano.ifelse to be imported)
import keras
from keras.layers import (BatchNormalization, Bidirectional, Convolution2D, Dense, Dropout,
                          Embedding, Flatten, GRU, Input, LSTM, MaxPooling2D, SimpleRNN,
                          TimeDistributed, merge)
from keras.models import Model, Sequential

assert keras.__version__ == "1.2.2", keras.__version__


def sequential():
    np.random.seed(1)
    m = Sequential(name="k1_sequential")
    m.add(Dense(16, input_dim=8, name="dense_in"))
    m.add(BatchNormalization(name="batch_norm"))
    m.add(Dropout(0.5, name="dropout"))
    m.add(Dense(4, activation="softmax", name="head"))
    return m


def functional():
    np.random.seed(2)
    a = Input(shape=(6,), name="in_a")
    b = Input(shape=(6,), name="in_b")
    shared = Dense(5, name="shared")
    sa, sb = shared(a), shared(b)
    cat = merge([sa, sb], mode="concat", name="cat")
    mix = Dense(5, name="mix")(cat)
    add_ab = merge([sa, sb], mode="sum", name="add_ab")
    add_out = merge([mix, add_ab], mode="sum", name="add_out")
    head = Dense(2, name="head")(add_out)
    return Model([a, b], head, name="k1_functional")


def conv():
    np.random.seed(3)
    m = Sequential(name="k1_conv")
    # Theano dim ordering: channels first.
    m.add(Convolution2D(8, 3, 3, input_shape=(3, 16, 16), dim_ordering="th", name="conv_a"))
    m.add(MaxPooling2D((2, 2), dim_ordering="th", name="pool"))
    m.add(Convolution2D(4, 3, 3, border_mode="same", bias=False, dim_ordering="th",
                        name="conv_b_no_bias"))
    m.add(Flatten(name="flatten"))
    m.add(Dense(10, name="dense"))
    return m


def recurrent():
    np.random.seed(4)
    m = Sequential(name="k1_recurrent")
    m.add(Embedding(50, 8, input_length=10, name="embedding"))
    m.add(LSTM(6, return_sequences=True, name="lstm"))
    m.add(GRU(5, return_sequences=True, name="gru"))
    m.add(Bidirectional(SimpleRNN(4, return_sequences=True), name="bi_rnn"))
    m.add(TimeDistributed(Dense(3), name="td_dense"))
    m.add(Flatten(name="flatten"))
    m.add(Dense(1, name="out"))
    return m


def nested():
    np.random.seed(5)
    inner = Sequential(name="inner_seq")
    inner.add(Dense(6, input_dim=8, name="inner_dense"))
    inner.add(BatchNormalization(name="inner_bn"))
    x = Input(shape=(8,), name="x")
    h = inner(x)
    out = Dense(2, name="head")(h)
    return Model(x, out, name="k1_nested")


def fitted():
    np.random.seed(6)
    m = Sequential(name="k1_fit")
    m.add(Dense(6, input_dim=5, name="dense"))
    m.add(BatchNormalization(name="bn"))
    m.add(Dense(3, name="out"))
    m.compile(optimizer="adam", loss="mse")
    m.fit(np.random.rand(16, 5), np.random.rand(16, 3), nb_epoch=1, batch_size=8, verbose=0)
    return m


def frozen():
    np.random.seed(7)
    m = Sequential(name="k1_frozen")
    m.add(Dense(12, input_dim=10, name="frozen_dense", trainable=False))
    m.add(Dense(3, name="head"))
    return m


MODELS = [sequential, functional, conv, recurrent, nested, fitted, frozen]


def summary_text(model):
    captured = io.BytesIO() if sys.version_info[0] == 2 else io.StringIO()
    stdout = sys.stdout
    sys.stdout = captured
    try:
        model.summary()
    finally:
        sys.stdout = stdout
    text = captured.getvalue()
    return text.decode("utf-8") if isinstance(text, bytes) else text


def main(out_dir):
    for build in MODELS:
        name = "k1_" + build.__name__
        model = build()
        model.save(os.path.join(out_dir, name + ".h5"))
        with io.open(os.path.join(out_dir, name + ".txt"), "w", encoding="utf-8") as f:
            f.write(summary_text(model))
        print(name)


if __name__ == "__main__":
    main(sys.argv[1])
