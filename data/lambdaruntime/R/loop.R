# The event loop: init once, then for each event read it, call the handler, post the outcome.

# Lambda's limit for a synchronous response. Checked here so the function gets a clear error
# instead of a rejected POST.
MAX_RESPONSE_BYTES <- 6291456

# The runtime's entry point; runtime.R (in the subsystem layer, beside bootstrap) calls it with its
# own folder, where the subsystem layer's BUILD-ID lies.
run <- function(layer_dir) {
  configure_logging()
  ensure_utf8_locale()
  # The Runtime API first: every later init failure, jsonlite's included, must reach /init/error.
  api_configure()
  init_or_fail(function() check_layer_builds(layer_dir))
  init_or_fail(check_jsonlite)
  attach(user_helpers(), name = "r-lambda-runtime", warn.conflicts = FALSE)
  handler <- init_or_fail(load_handler)
  settings <- function_settings()
  workers <- max_concurrency()
  if (workers > 1L) run_workers(workers, handler, settings) else serve_forever(handler, settings)
}

serve_forever <- function(handler, settings) {
  repeat {
    bytes <- serve_invocation(handler, next_invocation(), settings)
    if (bytes >= COLLECT_AFTER_BYTES) gc(verbose = FALSE)
  }
}

# The next event; when the Runtime API cannot give one (it went away, or broke the protocol), the
# process ends with the reason in the log, and Lambda starts a new one.
next_invocation <- function() {
  tryCatch(api_next_invocation(), error = function(e) {
    log_line("ERROR", sprintf("The runtime stops: %s", conditionMessage(e)))
    flush_output()
    quit(save = "no", status = 1L, runLast = FALSE)
  })
}

# After an event or response this large, a full garbage collection (tens of milliseconds, after
# the response is sent) returns its memory before the next event is parsed; without it, the
# garbage of one large event and the parse of the next add up (measured with a 3.5 MB event:
# 211 MB peak from the second event on, instead of the first event's 145 MB).
COLLECT_AFTER_BYTES <- 1048576

# jsonlite is loaded on first use (only classed values the codec does not know need it) but checked
# here: it comes with the r layer, and missing is an init error naming the layer to rebuild.
check_jsonlite <- function() {
  if (!nzchar(jsonlite_path())) {
    stop(init_failure("Runtime.InitError", sprintf(
      "The R runtime cannot find the R package jsonlite. It must be installed in R's own library of the r layer (%s), where the build puts it; rebuild or re-add the r layer.",
      paste(.Library, collapse = ", "))))
  }
}

# The build stamps one id into the r layer (R/BUILD-ID, beside this package) and the subsystem
# layer (BUILD-ID, beside bootstrap; src/pipeline/build-id.ts). Layers of different builds would run
# this runtime and its codec with another build's bootstrap and libraries: init fails instead,
# naming the layers. Without a stamp in the subsystem layer (the project's own layer/ folder, local
# runs) there is nothing to compare; an R other than the r layer's (R_LAMBDA_RSCRIPT) is not checked
# either.
check_layer_builds <- function(layer_dir, r_home = R.home()) {
  ours <- file.path(layer_dir, "BUILD-ID")
  if (!file.exists(ours)) return(invisible())
  r_root <- normalizePath(file.path(r_home, "..", ".."), mustWork = FALSE)
  if (!identical(r_root, normalizePath(file.path(layer_dir, "R"), mustWork = FALSE))) return(invisible())
  theirs <- file.path(r_root, "BUILD-ID")
  id <- function(file) if (file.exists(file)) trimws(readLines(file, n = 1L, warn = FALSE)) else "none (a build before build ids)"
  if (!identical(id(ours), id(theirs))) {
    stop(init_failure("Runtime.InitError", sprintf(
      "The r layer (R and the runtime, build %s) and the subsystem layer (bootstrap and libraries, build %s) come from different builds. Add the r, r_lib and subsystem layers of one build together (rebuild them, or publish all three from the same build).",
      id(theirs), id(ours))))
  }
  invisible()
}

# Lambda sets LANG=en_US.UTF-8, which a minimal image may not provide; R then falls back to
# the C locale and mangles non-ASCII text. C.UTF-8 is in glibc itself.
ensure_utf8_locale <- function() {
  if (isTRUE(l10n_info()[["UTF-8"]])) return(invisible())
  for (locale in c("C.UTF-8", "C.utf8", "en_US.UTF-8")) {
    if (nzchar(suppressWarnings(Sys.setlocale("LC_CTYPE", locale)))) return(invisible())
  }
  log_line("WARN", "no UTF-8 locale is available; non-ASCII text in events may be mangled")
}

# Runs one init step; an error is posted to /init/error and ends the process, as Lambda expects.
init_or_fail <- function(step) {
  tryCatch(step(), error = function(e) {
    report <- init_error_report(e)
    log_line("ERROR", sprintf("Init failed. %s: %s", report$errorType, report$errorMessage))
    try(api_post_init_error(report), silent = TRUE)
    flush_output()
    quit(save = "no", status = 1L, runLast = FALSE)
  })
}

init_error_report <- function(e) {
  if (!is.null(e$report)) return(e$report)
  list(errorMessage = conditionMessage(e),
       errorType = if (inherits(e, "runtime_init_failure")) e$type else class(e)[[1L]],
       stackTrace = I(character()))
}

serve_invocation <- function(handler, invocation, settings) {
  request_id <- unname(invocation$headers["lambda-runtime-aws-request-id"])
  set_trace_id(invocation$headers)
  set_log_request_id(request_id)
  note_serving(request_id)
  on.exit({
    note_serving("")
    set_log_request_id(NULL)
  })
  outcome <- invoke_handler(handler, invocation, settings, request_id)
  flush_output()
  if (isTRUE(outcome$streamed)) {
    if (!outcome$ok) log_error_report(request_id, outcome$report)
    check_answer(outcome$answer, request_id)
    return(length(invocation$body))
  }
  if (outcome$ok) {
    answer <- api_post_response(request_id, outcome$payload)
  } else {
    log_error_report(request_id, outcome$report)
    answer <- api_post_error(request_id, outcome$report)
  }
  check_answer(answer, request_id)
  length(invocation$body) + length(outcome$payload)
}

# Each step that can fail for its own reason has its own errorType.
invoke_handler <- function(handler, invocation, settings, request_id = "") {
  event <- tryCatch(parse_event(invocation$body), error = function(e) e)
  if (inherits(event, "error")) {
    return(failure("Runtime.UnmarshalError", paste("The event is not valid JSON:", conditionMessage(event))))
  }
  context <- make_context(invocation$headers, settings)
  result <- run_user_code(function() handler$run(event, context), handler$outer_frame)
  if (!result$ok) return(result)
  if (is_stream(result$value)) return(serve_stream(request_id, result$value))
  payload <- tryCatch(serialize_result(result$value), error = function(e) e)
  if (inherits(payload, "error")) {
    return(failure("Runtime.MarshalError", sprintf(
      "The handler returned a %s that cannot be written as JSON: %s", class(result$value)[[1L]], conditionMessage(payload))))
  }
  if (length(payload) > MAX_RESPONSE_BYTES) {
    return(failure("Runtime.ResponseSizeTooLarge", sprintf(
      "The response is %.0f bytes, over Lambda's limit of %.0f bytes (6 MB) for a synchronous response. Return less data, or store it (e.g. in S3) and return where it is.",
      length(payload), MAX_RESPONSE_BYTES)))
  }
  list(ok = TRUE, payload = payload)
}

failure <- function(type, message) {
  list(ok = FALSE, report = list(errorMessage = message, errorType = type, stackTrace = I(character())))
}

# 202 is the normal answer. 500 means the environment cannot go on: exit, Lambda restarts it.
check_answer <- function(answer, request_id) {
  if (answer$status == 202L) return(invisible())
  detail <- rawToChar(answer$body)
  log_line("ERROR", sprintf("RequestId: %s the Runtime API answered %d: %s", request_id, answer$status, detail))
  if (answer$status >= 500L) quit(save = "no", status = 1L, runLast = FALSE)
}
