# The C codec's two entry points. Both are thin: the work and its rules are in src/parse.c and
# src/encode.c.

# An event's bytes (a raw vector of UTF-8 JSON) as jsonlite::fromJSON(text, simplifyVector = FALSE)
# would return them: objects as named lists, arrays as unnamed lists, null as NULL, numbers as
# integers where they are whole and fit, else doubles.
parse_json_bytes <- function(bytes) .Call(C_parse_json, bytes)

# The JSON of `x` as a raw vector. `fallback(value)` is called for dates and times (it returns their
# strings) and for classed values this encoder does not know (it returns JSON text of class "json").
encode_json_bytes <- function(x, fallback) .Call(C_encode_json, x, fallback)
