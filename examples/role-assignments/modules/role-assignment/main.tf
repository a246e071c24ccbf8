# A stand-in for azurerm_role_assignment with the same arguments, so that the example runs
# offline (azurerm cannot be installed without the registry). With azurerm, replace the
# terraform_data resource by:
#
# resource "azurerm_role_assignment" "this" {
#   scope                = var.scope
#   role_definition_name = var.role_definition_name
#   principal_id         = var.principal_id
# }

terraform {
  required_version = ">= 1.4"
}

variable "scope" {
  description = "The ARM ID the role is assigned at."
  type        = string
}

variable "role_definition_name" {
  description = "The built-in role's name, e.g. Disk Backup Reader."
  type        = string
}

variable "principal_id" {
  description = "The object ID of the identity that gets the role."
  type        = string
}

resource "terraform_data" "this" {
  input = {
    scope                = var.scope
    role_definition_name = var.role_definition_name
    principal_id         = var.principal_id
  }
}

output "assignment" {
  description = "What was assigned."
  value       = terraform_data.this.output
}
