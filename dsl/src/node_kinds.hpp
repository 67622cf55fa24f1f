// Short names for the kinds of condition node that the dsl's files switch on: a node of a
// condition as written (ast::Expression) and of a checked one (ConditionSpec).
#pragma once

#include "scopegate/condition.hpp"
#include "scopegate/dsl/ast.hpp"

namespace scopegate {

using ExpressionKind = ast::Expression::Kind;
using ConditionKind = ConditionSpec::Kind;

}  // namespace scopegate
