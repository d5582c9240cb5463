"""The GAN cards of the generative page."""


async def setup():
    """Fill the GAN cards' controls and wire their events."""
