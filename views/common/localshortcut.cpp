#include "localshortcut.h"

#include <QAbstractButton>
#include <QShortcut>

namespace es {

void setLocalShortcut(QAbstractButton *button, const QKeySequence &key, QWidget *scope)
{
    auto *shortcut = new QShortcut(key, scope);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    QObject::connect(shortcut, &QShortcut::activated, button, [button] {
        if (button->isEnabled() && button->isVisible())
            button->animateClick();
    });
}

} // namespace es
