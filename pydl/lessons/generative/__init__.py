"""The generative page's lessons (the book's chapter 8): a GAN on 2-D points (gan) and a VAE on digits (vae).

Import from the submodules; each is tested natively and runs unchanged in the page.
"""
