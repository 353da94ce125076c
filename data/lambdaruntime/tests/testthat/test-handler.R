# The handler loader and runner (R/handler.R): function mode however the function
# was made, script mode, init errors, and stack traces that start at the user's code (found by
# the marked eval() frame, not by counting frames, so they hold in every R version).


task_root <- function(files) {
  dir <- tempfile("task-")
  dir.create(dir)
  for (name in names(files)) writeLines(files[[name]], file.path(dir, name))
  dir
}

load <- function(files, handler) {
  tryCatch(rt$load_handler(handler, task_root(files)), error = identity)
}

invoke <- function(h, event = list(), context = list(aws_request_id = "id-1")) {
  rt$run_user_code(function() h$run(event, context), h$outer_frame)
}

value_of <- function(h, event = list()) {
  outcome <- invoke(h, event)
  if (!outcome$ok) stop(outcome$report$errorMessage)
  outcome$value
}

init_type <- function(failure) if (inherits(failure, "runtime_init_failure")) failure$type else NA_character_

# --- Function mode, however the function was made ------------------------------------------------
h <- load(list(app.R = "handler <- function(event, context) list(n = event$n + 1)"), "app.handler")
check("top-level assignment: function mode", identical(value_of(h, list(n = 1)), list(n = 2)))

h <- load(list(app.R = 'assign("handler", function(event) paste("made by assign", event$who))'), "app.handler")
check("assign(): function mode, called with the event", identical(value_of(h, list(who = "me")), "made by assign me"))

# source() resolves paths against the working directory, as on Lambda (the task root).
root <- task_root(list(main.R = 'source("impl.R")', impl.R = "handler <- function(event, context) 'from impl'"))
old_wd <- setwd(root)
h <- tryCatch(rt$load_handler("main.handler", root), error = identity)
setwd(old_wd)
check("a function made by a source()d file: function mode", identical(value_of(h), "from impl"))
rm("handler", envir = globalenv()) # where source() put it; the runtime loads one handler per process

h <- load(list(app.R = c("runs <- 0", "handler <- function(event) { runs <<- runs + 1; runs }")), "app.handler")
check("function mode: the file is sourced once, state survives", value_of(h) == 1 && value_of(h) == 2)

h <- load(list(app.R = c("make <- function(greeting) function(event) paste(greeting, event$who)", "handler <- make('hi')")), "app.handler")
check("a handler made by a call at top level: function mode", identical(value_of(h, list(who = "Ada")), "hi Ada"))
h <- load(list(app.R = c("make <- function(greeting) function(event) paste(greeting, event$who)", "do.call('assign', list('handler', make('yo')))")),
          "app.handler")
check("a handler made by a call through do.call(assign): function mode", identical(value_of(h, list(who = "Bo")), "yo Bo"))

h <- load(list(a.b.R = "my.fun <- function(event, context) 'dotted'"), "a.b.my.fun")
check("dotted file and function names", identical(value_of(h), "dotted"))

# --- Script mode ---------------------------------------------------------------------------------
root <- task_root(list(test.r = c("writeLines('ran', file.path(Sys.getenv('SCRIPT_MARK_DIR'), 'ran'))",
                                  "list(name = event$name, id = context$aws_request_id)")))
Sys.setenv(SCRIPT_MARK_DIR = root)
h <- rt$load_handler("test.handler", root)
check("script mode: not run at init", !file.exists(file.path(root, "ran")))
check("script mode: run per event with event and context", identical(value_of(h, list(name = "Ada")), list(name = "Ada", id = "id-1")))
h <- load(list(test.r = "cat(names(event))"), "test.handler")
check("script mode: an invisible NULL answers OK", identical(value_of(h), "OK"))
h <- load(list(test.r = c("f <- function(event) event$n * 2", "f(event)")), "test.typo")
check("script mode: a file that reads event at top level, its own functions aside; _HANDLER's function part unused",
      identical(value_of(h, list(n = 4)), 8))

# --- Init errors ---------------------------------------------------------------------------------
failure <- load(list(app.R = c("helper <- function(x) x", "main <- function(event) 1")), "app.handler")
check("other functions but not the handler: Runtime.NoSuchHandler", identical(init_type(failure), "Runtime.NoSuchHandler") &&
        grepl("defines helper, main but no function 'handler'", conditionMessage(failure)))
failure <- load(list(app.R = 'assign("other", function(event) 1)'), "app.handler")
check("assign() of another name: Runtime.NoSuchHandler", identical(init_type(failure), "Runtime.NoSuchHandler") &&
        grepl("defines other but no function 'handler'", conditionMessage(failure)))
failure <- load(list(app.R = c("make <- function(g) function(event) g", "hanlder <- make(1)")), "app.handler")
check("a typo in the handler's name, the function made by a call: Runtime.NoSuchHandler listing what the file made",
      identical(init_type(failure), "Runtime.NoSuchHandler") && grepl("defines hanlder, make but no function 'handler'", conditionMessage(failure)))
failure <- load(list(app.R = "x <- 1"), "app.handler")
check("a file that makes no function and reads no event: Runtime.NoSuchHandler, not a script",
      identical(init_type(failure), "Runtime.NoSuchHandler") && grepl("defines nothing but no function 'handler'", conditionMessage(failure)))
failure <- load(list(app.R = "handler <- 42"), "app.handler")
check("a name that is not a function", identical(init_type(failure), "Runtime.NoSuchHandler") && grepl("is a numeric", conditionMessage(failure)))
failure <- load(list(app.R = "handler <- function(event) {"), "app.handler")
check("a syntax error", identical(init_type(failure), "Runtime.UserCodeSyntaxError"))
failure <- load(list(app.R = c("x <- 1", "stop(errorCondition('bad config', class = 'configError'))", "handler <- function(event) 1")), "app.handler")
check("an error while sourcing keeps its class and points at the line",
      identical(init_type(failure), "configError") && identical(failure$report$stackTrace[[length(failure$report$stackTrace)]],
                                                               "app.R:2 stop(errorCondition(\"bad config\", class = \"configError\"))"))
check("init failures are conditions made by errorCondition()", inherits(failure, c("runtime_init_failure", "error", "condition"), which = TRUE)[[1L]] == 1L)
failure <- load(list(app.R = "handler <- function(event) 1"), "app")
check("a malformed _HANDLER", identical(init_type(failure), "Runtime.ConfigInvalid"))
failure <- load(list(other.R = "f <- function(event) 1"), "missing.handler")
check("a missing file", identical(init_type(failure), "Runtime.NoSuchHandler"))

# --- Stack traces --------------------------------------------------------------------------------
h <- load(list(fail.R = c("helper <- function(x) {", "  if (x > 1) stop(\"too big: \", x)", "  x", "}",
                          "handler <- function(event, context) {",
                          "  if (isTRUE(event$custom)) stop(errorCondition('bad input', class = 'validationError'))",
                          "  if (isTRUE(event$builtin)) return(sqrt('a'))",
                          "  helper(event$n)", "}")), "fail.handler")
outcome <- invoke(h, list(n = 5))
check("function mode: the stack starts at the user's code",
      identical(as.character(outcome$report$stackTrace), c('fail.R:2 stop("too big: ", x)', "fail.R:8 helper(event$n)", "handler(event, context)")))
outcome <- invoke(h, list(custom = TRUE))
check("a condition class is the errorType", identical(outcome$report$errorType, "validationError"))
outcome <- invoke(h, list(builtin = TRUE))
check("an error from a builtin names the call", identical(as.character(outcome$report$stackTrace), c("sqrt(\"a\")", "handler(event, context)")))

h <- load(list(test.r = c("x <- 1", "if (isTRUE(event$fail)) stop(\"script failed\")", "x")), "test.handler")
outcome <- invoke(h, list(fail = TRUE))
check("script mode: the stack ends with the statement",
      identical(as.character(outcome$report$stackTrace), c('stop("script failed")', 'test.r:2 if (isTRUE(event$fail)) stop("script failed")')))

outcome <- rt$run_user_code(function() stop("runtime's own"))
check("an error before any user code has no user frames", length(outcome$report$stackTrace) == 0L)

