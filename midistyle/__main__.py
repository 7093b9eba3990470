"""``python -m midistyle ...``, which is also how torchrun starts it:
``torchrun --standalone --nproc-per-node N -m midistyle train ...``."""
from midistyle.cli import main

if __name__ == "__main__":
    main(prog_name="midistyle")
