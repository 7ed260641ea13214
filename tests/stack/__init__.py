"""`make stack-test`: the production compose stack, built and run for real (not in `make test`)."""
