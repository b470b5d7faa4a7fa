#include "commandform.h"

#include "common/teardown.h"
#include "fieldeditor.h"

#include <QFormLayout>
#include <QLabel>

using namespace Qt::StringLiterals;

namespace es {

CommandForm::CommandForm(QWidget *parent)
    : QWidget(parent)
    , m_layout(new QFormLayout(this))
    , m_empty(new QLabel(tr("<i>This command takes no fields.</i>"), this))
{
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_layout->setRowWrapPolicy(QFormLayout::DontWrapRows);
    m_layout->setLabelAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_empty->setObjectName(u"noFieldsLabel"_s);
    m_layout->addRow(m_empty);
}

CommandForm::~CommandForm()
{
    disconnectDescendants(this);
}

void CommandForm::setSpec(const CommandSpec &spec)
{
    m_spec = spec;
    for (FieldEditor *e : std::as_const(m_editors))
        m_layout->removeRow(e); // deletes the editor and its label
    m_editors.clear();
    m_labels.clear();
    for (const FieldSpec &f : spec.fields) {
        auto *editor = new FieldEditor(f, this);
        auto *label = new QLabel(this);
        label->setObjectName(u"label:"_s + f.name);
        label->setTextFormat(Qt::RichText);
        label->setText(f.required ? u"%1 <span style=\"color:#c62828\">*</span>"_s.arg(f.name.toHtmlEscaped())
                                  : f.name.toHtmlEscaped());
        label->setToolTip(FieldEditor::constraints(f));
        label->setBuddy(editor->editor());
        connect(editor, &FieldEditor::edited, this, [this, name = f.name] { Q_EMIT edited(name); });
        m_layout->addRow(label, editor);
        m_editors.append(editor);
        m_labels.append(label);
    }
    m_empty->setVisible(!spec.name.isEmpty() && spec.fields.isEmpty());
}

FieldEditor *CommandForm::editor(const QString &field) const
{
    for (FieldEditor *e : m_editors)
        if (e->name() == field)
            return e;
    return nullptr;
}

QJsonObject CommandForm::payload(QJsonObject *inputErrors) const
{
    QJsonObject out;
    for (const FieldEditor *e : m_editors) {
        QString error;
        const QJsonValue v = e->value(&error);
        if (!error.isEmpty() && inputErrors)
            inputErrors->insert(e->name(), error);
        if (!v.isUndefined())
            out.insert(e->name(), v);
    }
    return out;
}

void CommandForm::setPayload(const QJsonObject &payload)
{
    for (FieldEditor *e : std::as_const(m_editors))
        e->setValue(payload.value(e->name()));
}

void CommandForm::showErrors(const QJsonObject &errors)
{
    for (int i = 0; i < m_editors.size(); ++i) {
        FieldEditor *e = m_editors.at(i);
        const QString message = errors.value(e->name()).toString();
        e->setError(message);
        QFont f = m_labels.at(i)->font();
        f.setBold(!message.isEmpty());
        m_labels.at(i)->setFont(f);
        m_labels.at(i)->setStyleSheet(message.isEmpty() ? QString() : u"color: #c62828;"_s);
    }
}

} // namespace es
