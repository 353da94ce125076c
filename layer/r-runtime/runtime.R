# The R runtime for AWS Lambda: one long-lived R process that asks the Runtime API for events,
# calls the function's handler and posts the result. Started by ../bootstrap.
#
# Base R and jsonlite only, so nothing in a function's own library can break the runtime.
# The runtime's functions live in a private environment (not the global one), so a handler sees
# a clean global environment and cannot overwrite them by accident.
#
# Default packages: Rscript attaches methods, datasets, utils, grDevices, graphics and stats, and
# handlers expect at least utils and stats. Dropping the rest saves little here (measured on a
# 2-core Debian 12 machine: `Rscript -e 0` 0.31 s with the defaults, 0.28-0.29 s with
# methods,utils,stats only, within run-to-run noise), while jsonlite loads methods anyway. So the
# defaults stay and start-up cost is kept down by loading nothing else.
local({
  # Rscript passes this file as --file=, with spaces in its path written as "~+~".
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  here <- dirname(gsub("~+~", " ", sub("^--file=", "", file_arg[[1L]]), fixed = TRUE))
  runtime <- new.env(parent = baseenv())
  for (part in c("log.R", "api.R", "json.R", "context.R", "handler.R", "loop.R")) {
    sys.source(file.path(here, part), envir = runtime, keep.source = FALSE)
  }
  runtime$run_runtime(here)
})
