"""deep21-tf: learn the matter density and the astrophysics behind 21 cm maps of the Cosmic Dawn."""
import glob
import os

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

#: Checkout files a built wheel carries inside the package (deep21_tf/util/paths.py finds them in either place):
#: the presets, and the TFDS folder files of the hi21cm builder. The checkout keeps the single source.
SHIPPED = {"deep21_tf/presets": ["flags/*.flags"],
           "deep21_tf/data/hi21cm": ["datasets/hi21cm/README.md", "datasets/hi21cm/CITATIONS.bib"]}


class BuildPyWithShippedFiles(build_py):
    """build_py that also copies the SHIPPED files into the built package."""

    def run(self):
        super().run()
        for target, patterns in SHIPPED.items():
            files = sorted(path for pattern in patterns for path in glob.glob(pattern))
            if not files:
                raise FileNotFoundError(f"none of {patterns} in {os.getcwd()}: build from a source checkout")
            self.mkpath(os.path.join(self.build_lib, target))
            for path in files:
                self.copy_file(path, os.path.join(self.build_lib, target, os.path.basename(path)))


setup(
    name="deep21-tf",
    version="0.1.0",
    description="21cmFAST suites, a TFDS builder, a Keras U-Net and AstroNet for 21 cm maps of the Cosmic Dawn",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["deep21_tf", "deep21_tf.*"]),
    package_data={"deep21_tf": ["pretrained/*/*"]},
    cmdclass={"build_py": BuildPyWithShippedFiles},
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
        "tools21cm>=2.4.3",
        "astropy>=6.0",  # FITS images and the cosmology (also a 21cmFAST dependency)
    ],
    extras_require={"dev": ["pytest>=8.0", "pytest-timeout>=2.3", "dill>=0.3.8", "ruff>=0.6", "pytest-xdist>=3.8"]},
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
