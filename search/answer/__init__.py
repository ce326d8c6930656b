"""The answer layer: answers from grades or from passages (extractive or written by a local
model), and abstention when the reports do not answer."""
