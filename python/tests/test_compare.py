"""compare(model, path): a live model against a file. CI has no Keras, so the model is also
a duck-typed stand-in built from what Keras reported about the fixture (its truth JSON)."""

import importlib.util
import subprocess
import sys

import pytest

import kerascope
from conftest import FIXTURES, truth


class Weight:
    def __init__(self, shape):
        self.shape = tuple(shape)


class Layer:
    def __init__(self, entry):
        self.name = entry["name"]
        self._params = entry["count_params"]
        self.weights = [Weight(w["shape"]) for w in entry["weights"]]
        # type(layer).__name__ is the Keras class.
        self.__class__ = type(entry["class"], (Layer,), {})

    def count_params(self):
        return self._params


class Model:
    def __init__(self, keras):
        self.name = keras["model"]["name"]
        self.layers = [Layer(entry) for entry in keras["layers"]]
        self._params = keras["count_params"]

    def count_params(self):
        return self._params


@pytest.mark.parametrize(
    "name",
    ["seed_lstm_4096.h5", "k3_functional_nested.keras", "tfk_sequential_basic.h5", "k3_conv.keras"],
)
def test_fake_model_from_keras_truth_is_the_same(name):
    result = kerascope.compare(Model(truth(name)), FIXTURES / name)
    assert result.equivalent, str(result)
    assert result.total_params.model == result.total_params.file == truth(name)["count_params"]
    assert result.schema == "kerascope.compare/1"
    assert "same" in str(result)


def test_fake_model_differs():
    keras = truth("tfk_sequential_basic.h5")
    keras["layers"][0]["weights"][0]["shape"] = [9, 16]
    keras["layers"][0]["count_params"] += 16
    keras["count_params"] += 16
    keras["layers"].append(
        {"name": "extra", "class": "Dense", "count_params": 0, "weights": []}
    )
    result = kerascope.compare(Model(keras), "fixtures/tfk_sequential_basic.h5")
    assert not result.equivalent
    status = {layer.name: layer.status for layer in result.layers}
    assert status["dense"] == "different" and status["extra"] == "only_in_model"
    text = str(result)
    assert "dense: 160 parameters in the model, 144 in the file" in text
    assert "total params: 292 in the model, 276 in the file" in text
    html = result._repr_html_()
    assert "only_in_model" in html and "<table>" in html


def test_not_a_model():
    with pytest.raises(TypeError, match="model"):
        kerascope.compare(object(), "fixtures/seed_lstm_4096.h5")
    with pytest.raises(TypeError, match="^path "):
        kerascope.compare(Model(truth("seed_lstm_4096.h5")), 3)


def test_import_does_not_import_keras():
    code = "import sys, kerascope; print(any(m.split('.')[0] in ('keras', 'tensorflow', 'numpy', 'h5py') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False"


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras not installed")
@pytest.mark.parametrize("name", ["k3_sequential_basic.keras", "k3_functional_nested.keras"])
def test_real_keras_model(name):
    # A real model loaded by Keras from the fixture it wrote, compared with the file.
    import keras

    path = str(FIXTURES / name)
    model = keras.saving.load_model(path, compile=False)
    result = kerascope.compare(model, path)
    assert result.equivalent, str(result)
    assert result.total_params.model == model.count_params() == truth(name)["count_params"]
    other = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)])
    assert not kerascope.compare(other, path).equivalent


@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None, reason="tf_keras not installed")
@pytest.mark.parametrize("name", ["tfk_sequential_basic.h5", "tfk_functional_nested.h5"])
def test_real_tf_keras_model(name):
    import tf_keras

    path = str(FIXTURES / name)
    model = tf_keras.models.load_model(path, compile=False)
    result = kerascope.compare(model, path)
    assert result.equivalent, str(result)
    assert result.total_params.model == model.count_params() == truth(name)["count_params"]
