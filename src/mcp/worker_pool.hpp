// The pool's home is public (apps use it too: `glassbox proxy`); this keeps src/mcp's includes.
#pragma once

#include "glassbox/mcp/worker_pool.hpp"
