-- wrk script: POST /search with a rotating set of realistic queries.
local queries = {
  "how do I read a file line by line",
  "difference between list and tuple",
  "asyncio event loop run until complete",
  "format a string with f-strings",
  "sort a dictionary by value",
  "what is a generator expression",
  "json dumps indent",
  "subprocess run capture output",
}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  local body = string.format('{"query": "%s", "k": 5}', queries[(i % #queries) + 1])
  return wrk.format(nil, "/search", nil, body)
end
