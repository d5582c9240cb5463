"""Networks shipped with pydl, pretrained, to reuse and to look inside (Keras' ``keras.applications``).

>>> from pydl import applications
>>> base = applications.digits_convnet(include_top=False)
>>> [layer.name for layer in base.layers]
['image', 'block1_conv', 'block1_pool', 'block2_conv', 'block2_pool']
"""

from pydl.applications.digits_convnet import digits_convnet, digits_convnet_preprocess

__all__ = ["digits_convnet", "digits_convnet_preprocess"]
