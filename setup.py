"""deep21-tf: learn the matter density and the astrophysics behind 21 cm maps of the Cosmic Dawn."""
from setuptools import find_packages, setup

setup(
    name="deep21-tf",
    version="0.1.0",
    description="21cmFAST suites, a TFDS builder, a Keras U-Net and AstroNet for 21 cm maps of the Cosmic Dawn",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["deep21_tf", "deep21_tf.*"]),
    package_data={"deep21_tf": ["pretrained/*/*"]},
    install_requires=[
        "numpy>=1.26",
        "scipy>=1.11",
        "h5py>=3.10",
        "matplotlib>=3.8",
        "absl-py>=2.1",
        "tqdm>=4.66",
        "tensorflow>=2.21",
        "keras>=3.15",
        "tensorboard>=2.20",
        "tensorflow-datasets>=4.9.10",
        "mlcroissant>=1.0",
        "importlib_resources>=6.0",
        "apache-beam>=2.77",
        "21cmfast>=4.1.1",
        "powerbox>=1.0",
        "tf-keras-vis>=0.8.7",
    ],
    extras_require={"dev": ["pytest>=8.0", "pytest-timeout>=2.3", "dill>=0.3.8"]},
    entry_points={
        "console_scripts": [
            "deep21-simulate=deep21_tf.apps.simulate:run",
            "deep21-train=deep21_tf.apps.train:run",
            "deep21-evaluate=deep21_tf.apps.evaluate:run",
            "deep21-saliency=deep21_tf.apps.saliency:run",
            "deep21-predict=deep21_tf.apps.predict:run",
            "deep21-pipeline=deep21_tf.apps.pipeline:run",
        ],
    },
)
