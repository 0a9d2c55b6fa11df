"""jacgui: explore the Jacobian of TensorFlow models."""
__version__ = "0.1.0"
