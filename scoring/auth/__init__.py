"""Log in and out, redeem a password-reset code."""
