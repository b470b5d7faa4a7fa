#pragma once

#include "domain.h"

#include <QJsonObject>

namespace es {

// Checks a command's payload against its declared fields. Returns field name ->
// human message ("required", "must be at least 0.01", "unknown field"...), an
// empty object when the payload fits. Runs before the domain sees the command,
// so decide functions can rely on the declared types.
QJsonObject validatePayload(const CommandSpec &spec, const QJsonObject &payload);

} // namespace es
