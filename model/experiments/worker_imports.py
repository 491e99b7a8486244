"""What the local executor's worker server imports before it forks any worker: the model,
with only the parts of Mesa it uses (:mod:`model.mesacore`), and not pandas, which the
modules here take on first use (:class:`model.common.OnFirstUse`) and a sweep's workers never
use (0.2 of 0.43 s with Mesa 3.3). They get it all the same where Mesa's core imports it
(Mesa 3.5's ``mesa.agent``) or the driver is a script that imports it (each worker re-imports
the script's own imports, as multiprocessing does); a calibration's workers, which use it,
import it on their first task.

The server starts with the command (:func:`model.experiments.executors.prestart`), and every
local sweep's first result waits on its imports: with Mesa whole they took 1.0-1.2 s, with
its core 0.4-0.6 s. The server is this process's multiprocessing fork server: where another
library started it first without this preload, workers import the model (and Mesa whole)
themselves, on their first task; other processes later forked from it (a user's own, with
Python 3.14's default start method) get the rest of Mesa when they ask for it.
"""

from model.mesacore import import_mesa_core

import_mesa_core()  # first, before anything imports Mesa whole

import model.experiments.sweep  # noqa: E402,F401 - what the workers run
import model.runner  # noqa: E402,F401
