terraform {
  # `terraform test` (the drill's tests/ files) needs 1.6; the module's own blocks need 1.2.
  required_version = ">= 1.6.0"

  required_providers {
    azurebackup = {
      source = "azurebackup/azurebackup"
    }
  }
}
