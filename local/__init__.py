"""The local stack: moto as our AWS, the real ASL on moto's interpreter, our real handlers.

Not deployed. Everything it creates is read from ``template.yaml``: tables, functions and their
environment, routes, the state machine and its substitutions.
"""
