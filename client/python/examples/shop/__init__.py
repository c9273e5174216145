# SPDX-License-Identifier: MIT
"""The application under test: a tiny user store on boto3."""
