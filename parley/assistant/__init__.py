"""The assistant: semantic model, planners, SQL compiler, executor and evaluation."""
