# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""What the plan reads of VMs beyond their listing: images, ports, owners.

Never a request per VM where one per image or per host will do: a
server listing at compute API 2.98 or later carries its image's
properties, older ones need one read per distinct image; ports are listed
once per host (``binding:host_id``), or per VM for the few VMs a
smart-migrate names.
"""

import typing

from openstack import exceptions as sdk_exceptions

# Nova's deprecated image proxy, the one image read an admin of any cloud
# has through the compute API; it answers only up to 2.35.
IMAGE_PROXY_MICROVERSION = '2.35'


def image_id(server):
    """The ID of the image the VM booted from; None if from a volume."""
    return (server.image or {}).get('id') or None


def image_properties(compute, servers):
    """{image ID: its properties, or None if it could not be read}.

    Deleted images and clouds without the image proxy cannot be read:
    Nova kept the properties in the request spec, which no API shows.
    """
    found = {}
    for server in servers:
        image = server.image or {}
        if image.get('id') and 'properties' in image:
            found[image['id']] = image.get('properties') or {}
    for missing in sorted({image_id(s) for s in servers} - set(found) -
                          {None}):
        response = compute.get('/images/%s' % missing,
                               microversion=IMAGE_PROXY_MICROVERSION,
                               raise_exc=False)
        try:
            sdk_exceptions.raise_from_response(response)
        except sdk_exceptions.SDKException:
            found[missing] = None
            continue
        found[missing] = response.json().get('image', {}).get(
            'metadata', {})
    return found


class Ports(typing.NamedTuple):
    """What the plan reads of the VMs' ports."""

    # {server ID: {port ID: vnic type}}
    vnics: dict
    # {server ID: (port IDs that ask placement for resources)}: QoS
    # minimum bandwidth or packet rate, which the scheduler adds to the
    # VM's request and the plan does not count.
    asking: dict


def ports(network, **query):
    """The :class:`Ports` the query lists.

    :param network: the SDK's network proxy, or None when the cloud has no
        network API (then no VM has ports to judge).
    :param query: ``binding_host_id=host`` or ``device_id=server ID``.
    """
    vnics, asking = {}, {}
    if network is None:
        return Ports(vnics, asking)
    for port in network.ports(**query):
        if port.device_id:
            vnics.setdefault(port.device_id, {})[port.id] = (
                port.binding_vnic_type or 'normal')
            if getattr(port, 'resource_request', None):
                asking[port.device_id] = asking.get(
                    port.device_id, ()) + (port.id,)
    return Ports(vnics, asking)


def boot_volume_properties(volumes, servers):
    """{server ID: its boot volume's image metadata, or None if unread}.

    What Nova's scheduler reads for a VM booted from a volume: the image
    properties Cinder copied onto the volume (``volume_image_metadata``).
    One read per volume of those VMs.

    :param volumes: the SDK's block-storage proxy, or None (then every
        such VM's is None).
    """
    found = {}
    for server in servers:
        found[server.id] = None
        if volumes is None:
            continue
        try:
            found[server.id] = _boot_volume_metadata(volumes, server)
        except sdk_exceptions.SDKException:
            continue
    return found


def _boot_volume_metadata(volumes, server):
    root = server.root_device_name
    attached = [v.get('id') for v in (server.attached_volumes or ())]
    read = [volumes.get_volume(v) for v in attached if v]
    for volume in read:
        devices = {a.get('device') for a in (volume.attachments or ())
                   if a.get('server_id') == server.id}
        if root and root in devices:
            return dict(volume.volume_image_metadata or {})
    bootable = [v for v in read if str(v.is_bootable).lower() == 'true']
    if len(bootable) == 1:
        return dict(bootable[0].volume_image_metadata or {})
    return None


def project_names(identity):
    """{project ID: its name}, from one listing of the identity API.

    Empty when there is no identity API (credentials without a catalog)
    or the credentials may not list projects: the rows then give IDs.
    """
    if identity is None:
        return {}
    try:
        return {p.id: p.name for p in identity.projects()}
    except sdk_exceptions.SDKException:
        return {}
