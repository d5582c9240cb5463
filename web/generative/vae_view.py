"""The VAE cards of the generative page."""


async def setup():
    """Fill the VAE cards' controls and wire their events."""
