"""The course machinery: exercise checks and the solutions -> student notebook build.

- :mod:`gancolor.course.checks` -- ``checks.<name>(student_fn)`` cells in the notebooks.
- :mod:`gancolor.course.build` -- ``python -m gancolor.course.build solutions notebooks [--check]``.
- :mod:`gancolor.course.execute` -- ``python -m gancolor.course.execute solutions/NN_x.ipynb``.

The submodules are imported on demand: ``from gancolor.course import checks`` does not load
nbformat or nbclient. The exercise markup and the notebook conventions are described in
``docs/notebook_conventions.md``.
"""
