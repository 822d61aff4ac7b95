-- wrk script: POST the JSON body in the file named by the first argument, with an optional
-- bearer token as the second.
function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[2] then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
end

-- Count non-2xx answers so the runner can refuse a figure made of errors.
local bad = 0
function response(status, headers, body)
  if status >= 300 then bad = bad + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("NON2XX %d\n", summary.errors.status))
end
