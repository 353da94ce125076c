# Loading the function's handler once (init) and calling it for each event.
#
# _HANDLER is "file.function". Which mode a file runs in is decided by one rule, on the file's code:
# - Script mode (the original blog recipe's convention, e.g. test.handler with a test.r): the file's
#   top-level code, outside any function it defines, reads `event` or `context`. Such a file could
#   not run at init (there is no event then), so it is not run at init but evaluated anew for each
#   event, in a fresh environment holding `event` and `context`; its last value is the response ("OK"
#   when that is an invisible NULL). The function part of _HANDLER is not used.
# - Function mode, every other file: it is sourced once into its own environment, and the function
#   named after the dot, found there (or else in the global environment, where source() puts what it
#   defines), is called for each event as f(event, context), or f(event) when it takes one argument,
#   however the file made it (a function literal, assign(), a source()d file, a call such as
#   purrr::partial()). No such function is Runtime.NoSuchHandler, listing the functions the file made.

# Init failures carry the errorType Lambda shows for them.
init_failure <- function(type, message, report = NULL) {
  errorCondition(message, type = type, report = report, class = "runtime_init_failure", call = NULL)
}

# "a.b.c" may be file a with function b.c or file a.b with function c (R names may hold dots):
# each split is tried from the left and the first whose file exists wins.
handler_candidates <- function(handler) {
  if (!grepl("^[^.]+(\\.[^.]+)+$", handler)) {
    stop(init_failure("Runtime.ConfigInvalid", sprintf(
      "_HANDLER must be 'file.function' (e.g. hello.handler for hello.R), got '%s'.", handler)))
  }
  parts <- strsplit(handler, ".", fixed = TRUE)[[1L]]
  lapply(seq_len(length(parts) - 1L), function(k) {
    list(file = paste(parts[seq_len(k)], collapse = "."), fun = paste(parts[-seq_len(k)], collapse = "."))
  })
}

locate_handler <- function(handler, task_root) {
  candidates <- handler_candidates(handler)
  for (candidate in candidates) {
    paths <- file.path(task_root, paste0(candidate$file, c(".R", ".r")))
    found <- paths[file.exists(paths)]
    if (length(found)) return(c(candidate, path = found[[1L]]))
  }
  first <- candidates[[1L]]$file
  stop(init_failure("Runtime.NoSuchHandler", sprintf(
    "_HANDLER is '%s' but %s has no %s.R or %s.r. Put the handler file at the top of the function's zip, or fix _HANDLER.",
    handler, task_root, first, first)))
}

parse_handler_file <- function(path) {
  tryCatch(parse(path, keep.source = TRUE, encoding = "UTF-8"), error = function(e) {
    stop(init_failure("Runtime.UserCodeSyntaxError", sprintf("%s does not parse: %s", basename(path), conditionMessage(e))))
  })
}

load_handler <- function(handler = Sys.getenv("_HANDLER"), task_root = Sys.getenv("LAMBDA_TASK_ROOT", "/var/task")) {
  spec <- locate_handler(handler, task_root)
  exprs <- parse_handler_file(spec$path)
  if (is_script(exprs)) return(script_mode_handler(spec, exprs))
  function_mode_handler(spec, exprs, handler)
}

SCRIPT_NAMES <- c("event", "context")

# Whether the file's top-level code reads `event` or `context` outside the functions it defines.
is_script <- function(exprs) {
  any(vapply(exprs, function(e) any(SCRIPT_NAMES %in% names_outside_functions(e)), NA))
}

# The symbols of an expression, leaving out the bodies and arguments of function literals.
names_outside_functions <- function(e) {
  if (is.name(e)) return(as.character(e))
  if (!is.call(e) && !is.expression(e) && !is.pairlist(e)) return(character())
  if (is.call(e) && identical(e[[1L]], as.name("function"))) return(character())
  unlist(lapply(as.list(e), function(part) if (missing(part)) character() else names_outside_functions(part)), use.names = FALSE)
}

# User code is evaluated in environments carrying this attribute. In a stack trace, the frame of
# eval() in such an environment is where the runtime's own frames end and the user's begin,
# whatever frames eval() and withVisible() take in this version of R.
USER_CODE_MARK <- "r_lambda_user_code"

user_code_env <- function(parent) {
  env <- new.env(parent = parent)
  attr(env, USER_CODE_MARK) <- TRUE
  env
}

# Evaluates a file's top-level statements in `env`, remembering which one runs so an error's
# stack can end with the statement's line. Returns the last value and its visibility.
eval_statements <- function(exprs, env, where) {
  last <- list(value = NULL, visible = FALSE)
  for (i in seq_along(exprs)) {
    where$index <- i
    last <- withVisible(eval(exprs[[i]], env))
  }
  last
}

statement_frame <- function(exprs, where) {
  refs <- attr(exprs, "srcref")
  i <- where$index
  if (is.null(i) || is.null(refs)) return(NULL)
  sprintf("%s:%d %s", basename(attr(refs[[i]], "srcfile")$filename), refs[[i]][[1L]], deparse_first(exprs[[i]]))
}

# Errors raised while sourcing keep their condition class as errorType; the stack shows where.
function_mode_handler <- function(spec, exprs, handler) {
  env <- user_code_env(globalenv())
  where <- new.env(parent = emptyenv())
  sourced <- run_user_code(function() eval_statements(exprs, env, where), function() statement_frame(exprs, where))
  if (!sourced$ok) {
    stop(init_failure(sourced$report$errorType, sourced$report$errorMessage, report = sourced$report))
  }
  # source() without local = TRUE defines into the global environment, so it is looked at second.
  home <- Find(function(e) exists(spec$fun, envir = e, inherits = FALSE), list(env, globalenv()))
  fun <- if (!is.null(home)) get(spec$fun, envir = home, inherits = FALSE)
  if (is.null(home)) {
    defined <- Filter(function(name) is.function(get(name, envir = env)), sort(ls(env)))
    stop(init_failure("Runtime.NoSuchHandler", sprintf(
      "%s defines %s but no function '%s' (from _HANDLER=%s). Rename the function or fix _HANDLER; a file whose top-level code reads `event` or `context` runs as a script.",
      basename(spec$path), if (length(defined)) paste(defined, collapse = ", ") else "nothing", spec$fun, handler)))
  }
  if (!is.function(fun)) {
    stop(init_failure("Runtime.NoSuchHandler", sprintf(
      "%s assigns '%s' but it is a %s, not a function.", basename(spec$path), spec$fun, class(fun)[[1L]])))
  }
  # The call is made under the function's own name, so stack traces and warnings show it.
  arity <- handler_arity(fun)
  handler_call <- as.call(c(as.name(spec$fun), list(quote(event), quote(context))[seq_len(arity)]))
  list(
    run = function(event, context) {
      frame <- user_code_env(emptyenv())
      frame[[spec$fun]] <- fun
      frame$event <- event
      frame$context <- context
      eval(handler_call, frame)
    },
    outer_frame = function() NULL
  )
}

handler_arity <- function(fun) {
  args <- names(formals(args(fun)))
  if ("..." %in% args) 2L else min(length(args), 2L)
}

script_mode_handler <- function(spec, exprs) {
  where <- new.env(parent = emptyenv())
  list(
    run = function(event, context) {
      env <- user_code_env(globalenv())
      env$event <- event
      env$context <- context
      last <- eval_statements(exprs, env, where)
      if (is.null(last$value) && !last$visible) "OK" else last$value
    },
    outer_frame = function() statement_frame(exprs, where)
  )
}

# Runs user code. Errors become a report (errorMessage, errorType from the condition class,
# stackTrace from the R call stack, from the user's first frame on); warnings are logged and
# muffled, never fatal.
run_user_code <- function(thunk, outer_frame = function() NULL) {
  start <- NULL
  stack <- NULL
  wrapped <- function() {
    start <<- sys.nframe()
    thunk()
  }
  on_error <- function(e) {
    here <- sys.nframe() - 1L
    calls <- sys.calls()[seq_len(here)]
    stack <<- with_outer_frame(user_stack(calls, user_code_entry(sys.frames()[seq_len(here)], start), conditionCall(e)),
                               outer_frame())
  }
  on_warning <- function(w) {
    log_line("WARN", warning_text(w))
    invokeRestart("muffleWarning")
  }
  # With JSON logs a message() is an INFO line of its own; with text logs it goes to stderr as R writes it.
  on_message <- function(m) {
    if (!log_state$json) return()
    log_line("INFO", sub("\n$", "", conditionMessage(m)))
    invokeRestart("muffleMessage")
  }
  tryCatch(
    list(ok = TRUE, value = withCallingHandlers(wrapped(), error = on_error, warning = on_warning, message = on_message)),
    error = function(e) list(ok = FALSE, report = error_report(e, stack))
  )
}

warning_text <- function(w) {
  call <- conditionCall(w)
  if (is.null(call)) conditionMessage(w) else sprintf("In %s: %s", deparse_first(call), conditionMessage(w))
}

error_report <- function(e, stack) {
  list(
    errorMessage = conditionMessage(e),
    errorType = gsub("[^A-Za-z0-9_.:-]", "_", class(e)[[1L]]),
    stackTrace = I(as.character(stack))
  )
}

# The index of the eval() frame that runs user code (see USER_CODE_MARK), after `start`; the
# user's frames follow it. NULL when the error came before any user code ran.
user_code_entry <- function(frames, start) {
  if (is.null(start)) return(NULL)
  marked <- vapply(frames, function(frame) isTRUE(attr(frame, USER_CODE_MARK)), NA)
  marked[seq_len(min(start, length(marked)))] <- FALSE
  if (any(marked)) which(marked)[[1L]] else NULL
}

# Innermost first. The condition's call is added when it is no frame (errors from builtins
# such as log(-1)), unless it is one of the runtime's frames.
user_stack <- function(calls, entry, condition_call) {
  user <- if (is.null(entry) || length(calls) <= entry) list() else calls[-seq_len(entry)]
  internal <- vapply(user, function(call) is.call(call) && identical(call[[1L]], as.name(".handleSimpleError")), NA)
  user <- user[!internal]
  frames <- vapply(user, format_frame, "")
  if (!is.null(condition_call) && !any(vapply(calls, same_call, NA, condition_call))) {
    frames <- c(frames, format_frame(condition_call))
  }
  first_n(rev(frames), 50L)
}

# The statement's own call (e.g. f() at top level) is a frame without a line; keep the one with.
with_outer_frame <- function(frames, outer) {
  n <- length(frames)
  if (length(outer) && n && identical(sub("^[^ ]+ ", "", outer), frames[[n]])) frames <- frames[-n]
  c(frames, outer)
}

same_call <- function(a, b) {
  attr(a, "srcref") <- NULL
  attr(b, "srcref") <- NULL
  identical(a, b)
}

first_n <- function(x, n) x[seq_len(min(length(x), n))]

deparse_first <- function(call) {
  text <- deparse(call, width.cutoff = 200L, nlines = 1L)
  if (length(text) == 0L) "" else text[[1L]]
}

# "file.R:12 f(x)": the line where the call is written, when the source is known.
format_frame <- function(call) {
  text <- deparse_first(call)
  ref <- attr(call, "srcref")
  file <- if (!is.null(ref)) attr(ref, "srcfile")$filename
  if (is.null(file) || !nzchar(file)) text else sprintf("%s:%d %s", basename(file), ref[[1L]], text)
}
