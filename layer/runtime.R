# Starts the R runtime for AWS Lambda (../bootstrap runs this file with the r layer's Rscript): loads
# the runtime, the R package lambdaruntime (data/lambdaruntime in the project), and runs its event
# loop. The package lives in R's own library of the r layer, where a user's packages cannot shadow
# it; local runs find it on the library path (R_LIBS).
#
# The only code outside the package: when the package cannot load (an r layer without it, or broken),
# this file reports the init error to the Runtime API itself, with base R, so the failure says which
# layer to rebuild instead of ending in a bare exit.
#
# Default packages: Rscript attaches methods, datasets, utils, grDevices, graphics and stats, and
# handlers expect at least utils and stats. Dropping the rest saves little here (measured on a
# 2-core Debian 12 machine: `Rscript -e 0` 0.31 s with the defaults, 0.28-0.29 s with
# methods,utils,stats only, within run-to-run noise). So the defaults stay and start-up cost is kept
# down by loading nothing else.
local({
  # Rscript passes this file as --file=, with spaces in its path written as "~+~".
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  here <- dirname(gsub("~+~", " ", sub("^--file=", "", file_arg[[1L]]), fixed = TRUE))
  ns <- tryCatch(loadNamespace("lambdaruntime", lib.loc = c(.Library, .Library.site)), error = function(e) NULL)
  if (is.null(ns)) ns <- tryCatch(loadNamespace("lambdaruntime"), error = identity)
  if (!inherits(ns, "error")) return(ns$run(here))
  message <- sprintf(
    "The R runtime (the R package lambdaruntime) cannot load: %s. The r layer carries it in R's own library (%s): rebuild the r layer and add it to the function together with the subsystem layer of the same build.",
    conditionMessage(ns), paste(.Library, collapse = ", "))
  cat("[ERROR] Init failed. Runtime.InitError: ", message, "\n", sep = "", file = stderr())
  quote_json <- function(x) {
    x <- gsub("([\"\\\\])", "\\\\\\1", x)
    for (code in 1:31) x <- gsub(rawToChar(as.raw(code)), sprintf("\\u%04x", code), x, fixed = TRUE)
    paste0("\"", x, "\"")
  }
  body <- charToRaw(enc2utf8(sprintf("{\"errorMessage\":%s,\"errorType\":\"Runtime.InitError\",\"stackTrace\":[]}", quote_json(message))))
  address <- Sys.getenv("AWS_LAMBDA_RUNTIME_API")
  try({
    con <- socketConnection(sub(":[0-9]+$", "", address), as.integer(sub("^.*:", "", address)), blocking = TRUE, open = "r+b", timeout = 10)
    writeBin(c(charToRaw(paste0(
      "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: ", address, "\r\n",
      "Lambda-Runtime-Function-Error-Type: Runtime.InitError\r\nContent-Type: application/json\r\n",
      "Content-Length: ", length(body), "\r\nConnection: close\r\n\r\n")), body), con)
    readLines(con, n = 1L, warn = FALSE)
    close(con)
  }, silent = TRUE)
  quit(save = "no", status = 1L, runLast = FALSE)
})
