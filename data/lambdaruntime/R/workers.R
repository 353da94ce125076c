# Lambda Managed Instances: one execution environment gets up to AWS_LAMBDA_MAX_CONCURRENCY invocations at once.
# R runs one thing at a time, so the runtime forks that many workers once the handler file is loaded (init runs
# once, and the workers share its memory until they write to it), each with its own connection and GET /next loop,
# as AWS's process-based runtimes do. This process stays as their supervisor: a worker that dies (killed, or out of
# memory) is replaced, and the invocation it was serving gets an error, so one crash never takes the others down.
# Unset or 1: the single loop in the runtime's own process, as ever.

max_concurrency <- function(value = Sys.getenv("AWS_LAMBDA_MAX_CONCURRENCY")) {
  n <- suppressWarnings(as.integer(value))
  if (length(n) != 1L || is.na(n) || n < 1L) 1L else n
}

worker_state <- new.env(parent = emptyenv())
worker_state$file <- NULL

# Where a worker notes the request id it serves, for its supervisor to read should it die.
worker_file <- function(pid) file.path(tempdir(), sprintf("lambda-worker-%d", as.integer(pid)))

note_serving <- function(request_id) {
  if (!is.null(worker_state$file)) writeLines(request_id, worker_state$file)
}

run_workers <- function(n, handler, settings) {
  workers <- list()
  # mcparallel() turns R's JIT compiler off in the child it forks; a worker turns it back on, or every loop in a
  # handler runs interpreted (measured: a CPU-bound handler 6 times slower than in the single loop).
  jit_level <- compiler::enableJIT(-1L)
  if (jit_level > 0L) compile_handler(handler)
  start_worker <- function() {
    job <- parallel::mcparallel(worker_main(handler, settings, jit_level))
    workers[[as.character(job$pid)]] <<- job
  }
  for (i in seq_len(n)) start_worker()
  repeat {
    # A worker never returns: whatever mccollect() hands back is a worker that ended.
    ended <- suppressWarnings(parallel::mccollect(unname(workers), wait = FALSE, timeout = 1))
    for (pid in names(ended)) {
      worker_ended(pid)
      workers[[pid]] <- NULL
      start_worker()
    }
  }
}

# The JIT compiles a function on its first calls, in the process that calls it: in N workers, N times (measured:
# about 0.8 s for a small handler with a loop, on a loaded 2-core machine). Compiled once here, before the fork, the
# workers share the compiled code. The handler function and the other functions its file defined are compiled.
compile_handler <- function(handler) {
  home <- environment(handler$run)
  if (!is.function(home$fun)) return(invisible()) # script mode: its statements are compiled as they run
  home$fun <- tryCatch(compiler::cmpfun(home$fun), error = function(e) home$fun)
  user <- environment(home$fun)
  if (is.null(user) || !isTRUE(attr(user, USER_CODE_MARK))) return(invisible())
  for (name in ls(user, all.names = TRUE)) {
    f <- get(name, envir = user)
    if (is.function(f) && !is.primitive(f) && identical(environment(f), user)) {
      byte <- tryCatch(compiler::cmpfun(f), error = function(e) NULL)
      if (!is.null(byte)) assign(name, byte, envir = user)
    }
  }
  invisible()
}

worker_main <- function(handler, settings, jit_level) {
  compiler::enableJIT(jit_level)
  # The supervisor's connection (if it has one) is its own; this worker opens another.
  api$con <- NULL
  worker_state$file <- worker_file(Sys.getpid())
  serve_forever(handler, settings)
}

# The worker's invocation, if it was serving one, fails with Runtime.ExitError, as Lambda reports a runtime that
# exits mid-invocation.
worker_ended <- function(pid) {
  file <- worker_file(pid)
  request_id <- if (file.exists(file)) readLines(file, n = 1L, warn = FALSE) else character()
  unlink(file)
  if (!length(request_id) || !nzchar(request_id)) {
    log_line("WARN", sprintf("an R worker (pid %s) ended between invocations; starting another", pid))
    return(invisible())
  }
  report <- list(errorMessage = sprintf("RequestId: %s Error: the R worker serving it (pid %s) ended unexpectedly", request_id, pid),
                 errorType = "Runtime.ExitError", stackTrace = I(character()))
  set_log_request_id(request_id)
  log_error_report(request_id, report)
  set_log_request_id(NULL)
  answer <- tryCatch(api_post_error(request_id, report), error = function(e) NULL)
  if (!is.null(answer) && answer$status != 202L) {
    log_line("WARN", sprintf("RequestId: %s the Runtime API answered %d to the error of the ended worker", request_id, answer$status))
  }
}
